"""Journal club: this week's top matches of a channel put to a vote, the vote's rules, and its closing."""
