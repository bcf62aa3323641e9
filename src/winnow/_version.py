"""The package version, in a module of its own: ``executors.ray`` checks every node runs the driver's version
without importing the package that builds executors."""

__version__ = "0.1.0"
