"""`opshub`: OpsHub's command-line client (SPEC §10). It talks to a server over the REST API only —
it never imports the app nor touches a database — and builds its per-resource commands from the
server's description of its resources (`GET /api/v1/_resources/`)."""

__version__ = "0.1.0"
