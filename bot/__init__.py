"""papers-bot core: platform-neutral behaviour, one subpackage per capability.

`domain`, `errors` and `config` are shared by every part; `app` builds the core's services from
settings. Nothing here imports `adapters/` or a platform SDK; `storage/` is reached through its
repositories and unit of work.
"""
