"""Built-in artifact types, each a small declarative module registered as an entry point."""
