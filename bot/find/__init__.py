"""Find: the fuzzy lookup behind `/papers find`, its in-memory title index, spelling and snapshot.

Imports `bot.domain` and `storage/` (papers and the abstracts' full-text index), nothing else of the core.
"""
