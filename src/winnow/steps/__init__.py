"""Built-in steps, one module per family. Every module here is imported on the first registry lookup."""
