"""vmrunner's test API for IncludeOS test scripts run by ``python -m ukbuild test``."""
