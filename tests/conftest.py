"""Fixtures shared by several test modules."""

import socket

import pytest


@pytest.fixture
def no_network(monkeypatch):
    """Any network connection fails the test: promptlint never touches the network."""
    def refuse(*args, **kwargs):
        raise AssertionError("promptlint tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
