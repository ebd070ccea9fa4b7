"""Model providers of harness's own, registered with inspect-ai through its entry point."""
