"""What :class:`sounding.api.Sounding` does beyond reading views, one module per concern."""
