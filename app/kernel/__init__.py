"""The kernel: what every domain builds on. It imports no domain and not the composition."""
