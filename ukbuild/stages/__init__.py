"""Stages: pure functions from a service and platform facts to the command
lines and files a build step produces. No doit, no conan, no I/O here: a
reader who wants to know what the link line looks like opens ``link.py``.
"""
