"""The `hamstring` command line: one module per kind of command, imported only when that command runs."""
