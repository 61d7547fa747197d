"""What a channel says about the papers it is shown: feedback, saved papers, the model learned from it."""
