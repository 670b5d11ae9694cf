"""Helpers for pipelock's integration suite: the proxy process, recording origins, a fake DNS
server, a TLS origin, a git smart-HTTP origin, network namespaces and a raw HTTP client.

Everything here talks only to loopback or to addresses inside network namespaces that the suite
creates itself (see netns.py)."""
