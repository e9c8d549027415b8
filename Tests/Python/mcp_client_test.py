"""MemVault's MCP server driven by the Python `mcp` package (PyPI), an external client, over stdio and over
streamable HTTP. Run by scripts/mcp-clients, which prepares a data folder and credentials and passes them in the
environment:

  MEMVAULT_BIN, MEMVAULT_DATA, MEMVAULT_KEY_FILE, MEMVAULT_POLICIES: the binary and its data folder;
  APP_KEY: an application credential of tenant acme; OTHER_KEY: one of tenant globex;
  OTHER_MEMORY: a memory id of globex's; MCP_URL: the server's /mcp endpoint (optional: HTTP is then tested too).

Exits non-zero with a message on the first failure.
"""

import asyncio
import json
import os
import subprocess
import sys

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

ENV = os.environ


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def memvault(*arguments):
    """Runs the memvault binary on the data folder; returns its JSON output."""
    command = [ENV["MEMVAULT_BIN"], *arguments, "--data", ENV["MEMVAULT_DATA"], "--key-file", ENV["MEMVAULT_KEY_FILE"],
               "--policies", ENV["MEMVAULT_POLICIES"], "--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    check(done.returncode == 0, f"{' '.join(arguments)}: {done.stdout} {done.stderr}")
    return json.loads(done.stdout)


def stdio_server(key, external_id):
    environment = {k: v for k, v in ENV.items() if not k.startswith("MEMVAULT_SERVER")}
    environment["MEMVAULT_API_KEY"] = key
    return StdioServerParameters(
        command=ENV["MEMVAULT_BIN"],
        args=["mcp", "--data", ENV["MEMVAULT_DATA"], "--key-file", ENV["MEMVAULT_KEY_FILE"], "--policies",
              ENV["MEMVAULT_POLICIES"], "--purpose", "personalisation", "--external-id", external_id],
        env=environment)


def text(result):
    return result.content[0].text if result.content else ""


async def exercise(session, label):
    """The flow every transport must pass: initialise, tools, remember, recall, forget, cross-tenant id."""
    tools = {tool.name for tool in (await session.list_tools()).tools}
    check({"remember", "recall", "get", "list", "update", "forget", "consent_status"} <= tools, f"{label}: tools {tools}")

    stored = await session.call_tool("remember", {"content": f"Prefers jasmine tea ({label})", "type": "preference"})
    check(not stored.is_error, f"{label}: remember failed: {text(stored)}")
    memory = json.loads(text(stored))
    check(memory["type"] == "preference", f"{label}: remembered {memory}")

    recalled = await session.call_tool("recall", {"query": "jasmine tea"})
    check(not recalled.is_error, f"{label}: recall failed: {text(recalled)}")
    hits = json.loads(text(recalled))["hits"]
    check(any(hit["memory"]["id"] == memory["id"] for hit in hits), f"{label}: recall missed it: {hits}")

    forgotten = await session.call_tool("forget", {"id": memory["id"]})
    check(not forgotten.is_error, f"{label}: forget failed: {text(forgotten)}")
    gone = await session.call_tool("get", {"id": memory["id"]})
    check(gone.is_error and text(gone).startswith("not_found"), f"{label}: forgotten memory still answers: {text(gone)}")

    foreign = await session.call_tool("get", {"id": ENV["OTHER_MEMORY"]})
    check(foreign.is_error and text(foreign).startswith("not_found"), f"{label}: another tenant's id: {text(foreign)}")
    return memory


async def stdio_flow():
    async with stdio_client(stdio_server(ENV["APP_KEY"], "carol")) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await exercise(session, "stdio")
            kept = await session.call_tool("remember", {"content": "Allergic to peanuts"})
            check(not kept.is_error, f"stdio: remember: {text(kept)}")
            subject = json.loads(text(kept))["subject"]
            # Consent withdrawn outside the session: the next recall is denied, saying why.
            memvault("consent", "withdraw", "--tenant", "acme", "--subject", subject, "--for", "personalisation",
                     "--purpose", "personalisation")
            denied = await session.call_tool("recall", {"query": "allergies"})
            check(denied.is_error and "consent" in text(denied) and "peanuts" not in text(denied),
                  f"stdio: recall after withdrawal: {text(denied)}")


async def bad_credential():
    """A credential the store does not know: the server refuses to start, and says so on standard error."""
    done = subprocess.run(
        [ENV["MEMVAULT_BIN"], "mcp", "--data", ENV["MEMVAULT_DATA"], "--key-file", ENV["MEMVAULT_KEY_FILE"],
         "--policies", ENV["MEMVAULT_POLICIES"], "--external-id", "carol"],
        input="", capture_output=True, text=True,
        env={**{k: v for k, v in ENV.items() if not k.startswith("MEMVAULT_SERVER")},
             "MEMVAULT_API_KEY": "mvk_cred_00000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    check(done.returncode != 0 and "revoked or expired" in done.stderr, f"a bad credential: {done.returncode} {done.stderr}")


def http_headers(key, **extra):
    return {"Authorization": f"Bearer {key}", "MemVault-Purpose": "personalisation", **extra}


async def http_flow():
    url = ENV["MCP_URL"]
    headers = http_headers(ENV["APP_KEY"], **{"MemVault-External-Id": "carol"})
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                # Carol's consent was withdrawn in the stdio flow: recall is denied over HTTP too, saying why.
                denied = await session.call_tool("recall", {"query": "allergies"})
                check(denied.is_error and "consent" in text(denied), f"http: recall after withdrawal: {text(denied)}")
    # dave of globex, whom globex's credential serves, gave consent: the whole flow over HTTP.
    headers = http_headers(ENV["OTHER_KEY"], **{"MemVault-External-Id": "dave"})
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                stored = await session.call_tool("remember", {"content": "Prefers jasmine tea (http)"})
                check(not stored.is_error, f"http: remember: {text(stored)}")
                recalled = await session.call_tool("recall", {"query": "jasmine"})
                check(not recalled.is_error and json.loads(text(recalled))["hits"], f"http: recall: {text(recalled)}")
                forgotten = await session.call_tool("forget", {"id": json.loads(text(stored))["id"]})
                check(not forgotten.is_error, f"http: forget: {text(forgotten)}")
                # acme's memory from globex's session: unknown.
                foreign = await session.call_tool("get", {"id": ENV["ACME_MEMORY"]})
                check(foreign.is_error and text(foreign).startswith("not_found"), f"http: cross-tenant: {text(foreign)}")


async def http_refusals():
    """Without a valid credential, or from a foreign origin, no session opens."""
    import httpx2

    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx2.AsyncClient() as http:
        bad = await http.post(ENV["MCP_URL"], json=initialize, headers={
            **accept, **http_headers("mvk_cred_00000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            "MemVault-External-Id": "carol"})
        check(bad.status_code == 401, f"http: a bad credential opened a session: {bad.status_code} {bad.text}")
        foreign = await http.post(ENV["MCP_URL"], json=initialize, headers={
            **accept, **http_headers(ENV["APP_KEY"]), "MemVault-External-Id": "carol", "Origin": "https://evil.example"})
        check(foreign.status_code == 403, f"http: a foreign origin: {foreign.status_code} {foreign.text}")


async def main():
    await stdio_flow()
    await bad_credential()
    print("MCP clients over stdio: the flow, consent withdrawal, a bad credential and a cross-tenant id passed")
    if "MCP_URL" in ENV:
        await http_flow()
        await http_refusals()
        print("MCP clients over HTTP: the flow, consent, a bad credential, a foreign origin, a cross-tenant id passed")


asyncio.run(main())
