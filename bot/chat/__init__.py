"""Chat: the command grammar, the neutral replies and the service that answers every command.

Imports the other capabilities of the core and `storage/`; adapters turn its replies into messages.
"""
