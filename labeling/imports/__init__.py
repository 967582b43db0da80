"""Labels that come in with a batch file: read from its rows, stored with its version."""
