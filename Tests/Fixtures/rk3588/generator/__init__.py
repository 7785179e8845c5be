"""Builds the RK3588 fixture trees; run ../generate.py."""
