"""Platform adapters: translate platform events to Commands and Replies to messages."""
