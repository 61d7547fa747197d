"""Ranked retrieval by meaning: a question or a description in, the stored papers about it out."""
