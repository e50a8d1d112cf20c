"""Interfaces to the outside world (payment providers), each with a sandbox implementation."""
