#!/usr/bin/env python3
"""Independent verifier for MemVault audit logs (Audit/SPEC.md), using only the Python standard library.

It does not trust MemVault's code: it decodes the canonical entries, recomputes the hash chain and the RFC 6962
Merkle roots, checks inclusion and consistency proofs, and checks the Ed25519 signature of the C2SP checkpoint
(RFC 8032 reference verification, section 6).

    python3 Audit/verify_audit.py --vectors Audit/vectors/golden-log.json
    python3 Audit/verify_audit.py --database DATA/tenants/acme.sqlite \
        --checkpoint checkpoint.txt --verifier-key 'memvault.local/acme+61da7a31+AR4U…' [--catalog DATA/catalog.sqlite]

The chain starts from a genesis bound to the log's origin (memvault.local/<tenant>), so a database copied from
another tenant fails at its first entry. The origin is taken from --origin, else from the checkpoint, else from the verifier key's name. With a
verifier key, every checkpoint stored in the database is checked too, and with --catalog the latest checkpoint the
installation's catalog keeps of the tenant, which must also still be stored in the tenant's database.

Exit status 0 when everything verifies; 1 with the first problem on standard error otherwise.
"""
import argparse
import base64
import hashlib
import json
import struct
import sys

# --- Canonical entry encoding -------------------------------------------------------------------------------------


class Malformed(Exception):
    pass


def decode_entry(data: bytes) -> dict:
    """Decodes 'MVA1' entries: big-endian integers, strings as u32 length + UTF-8."""
    offset = 0

    def take(n):
        nonlocal offset
        if n < 0 or offset + n > len(data):
            raise Malformed(f"truncated at byte {offset}")
        chunk = data[offset:offset + n]
        offset += n
        return chunk

    def u64():
        return struct.unpack(">Q", take(8))[0]

    def u32():
        return struct.unpack(">I", take(4))[0]

    def text():
        return take(u32()).decode("utf-8")

    if take(4) != b"MVA1":
        raise Malformed("missing MVA1 magic")
    entry = {"sequence": u64(), "time": struct.unpack(">q", take(8))[0]}
    for field in ("actor", "role", "action", "purpose", "subject", "cube"):
        entry[field] = text()
    entry["memories"] = [text() for _ in range(u32())]
    entry["effect"] = text()
    entry["ruleIDs"] = [text() for _ in range(u32())]
    entry["policyRevision"] = text()
    entry["returned"] = u64()
    entry["withheld"] = u64()
    entry["detail"] = text()
    if offset != len(data):
        raise Malformed("trailing bytes")
    for optional in ("subject", "cube", "detail"):
        if entry[optional] == "":
            del entry[optional]
    return entry


def chain_hash(previous: bytes, encoded: bytes) -> bytes:
    return hashlib.sha256(previous + encoded).digest()


def genesis(origin: str) -> bytes:
    """hash(0): binds the whole chain to the log's origin."""
    return hashlib.sha256(b"memvault.audit.genesis.v2\n" + origin.encode("utf-8")).digest()

# --- RFC 6962 Merkle tree -------------------------------------------------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves: list) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k << 1 < len(leaves):
        k <<= 1
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def _decompose(index: int, size: int):
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed, proof, index):
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed, proof, index):
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed, proof):
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list, expected_root: bytes) -> bool:
    if index >= size or len(leaf) != 32:
        return False
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        return False
    computed = _chain_border_right(_chain_inner(leaf, proof[:inner], index), proof[inner:])
    return computed == expected_root


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: list) -> bool:
    if size1 == 0 or size2 < size1:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    inner, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    seed, start = proof[0], 1
    if size1 == 1 << shift:
        seed, start = root1, 0
    if len(proof) != start + inner + border:
        return False
    proof = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, proof[:inner], mask), proof[inner:])
    hash2 = _chain_border_right(_chain_inner(seed, proof[:inner], mask), proof[inner:])
    return hash1 == root1 and hash2 == root2

# --- Ed25519 verification (RFC 8032, section 6) --------------------------------------------------------------------


_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493


def _inv(x):
    return pow(x, _P - 2, _P)


_D = -121665 * _inv(121666) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    z = 2 * a[3] * b[3] * _D % _P
    w = 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, w - z, w + z, y + x
    return (e * f, g * h, f * g, e * h)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * _inv(_D * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


_GY = 4 * _inv(5) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _Q
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))

# --- C2SP checkpoints -------------------------------------------------------------------------------------------------


def open_checkpoint(note: str, verifier_key: str):
    """Returns (origin, size, root) if `note` carries a valid signature by `verifier_key`; raises otherwise."""
    name, key_hash_hex, key_b64 = verifier_key.split("+", 2)
    key = base64.b64decode(key_b64)
    if len(key) != 33 or key[0] != 1:
        raise ValueError("verifier key is not an Ed25519 key")
    public = key[1:]
    if hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex() != key_hash_hex:
        raise ValueError("verifier key hash does not match")
    body, _, signatures = note.partition("\n\n")
    body += "\n"
    lines = body.split("\n")
    origin, size, root_b64 = lines[0], int(lines[1]), lines[2]
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == "\u2014" and parts[1] == name:
            blob = base64.b64decode(parts[2])
            if blob[:4].hex() == key_hash_hex:
                if not ed25519_verify(public, body.encode(), blob[4:]):
                    raise ValueError(f"signature by {name} does not verify")
                return origin, size, base64.b64decode(root_b64)
    raise ValueError(f"no signature by {name}")

# --- Drivers -----------------------------------------------------------------------------------------------------------


def verify_vectors(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        vectors = json.load(handle)
    previous = genesis(vectors["origin"])
    leaves = []
    for expected_sequence, item in enumerate(vectors["entries"], start=1):
        encoded = bytes.fromhex(item["encoded"])
        entry = decode_entry(encoded)
        if entry["sequence"] != expected_sequence:
            raise ValueError(f"entry {expected_sequence}: encoded sequence is {entry['sequence']}")
        if entry != item["entry"]:
            raise ValueError(f"entry {expected_sequence}: decoded fields differ from the listed ones")
        previous = chain_hash(previous, encoded)
        if previous.hex() != item["hash"]:
            raise ValueError(f"entry {expected_sequence}: chain hash mismatch")
        leaf = leaf_hash(encoded)
        if leaf.hex() != item["leafHash"]:
            raise ValueError(f"entry {expected_sequence}: leaf hash mismatch")
        leaves.append(leaf)
    for size, expected in enumerate(vectors["roots"], start=1):
        if root(leaves[:size]).hex() != expected:
            raise ValueError(f"root of size {size} mismatch")
    for case in vectors["inclusion"]:
        ok = verify_inclusion(
            leaves[case["index"]], case["index"], case["treeSize"], [bytes.fromhex(h) for h in case["proof"]],
            bytes.fromhex(vectors["roots"][case["treeSize"] - 1]))
        if not ok:
            raise ValueError(f"inclusion proof of {case['index']} in {case['treeSize']} fails")
    for case in vectors["consistency"]:
        ok = verify_consistency(
            case["oldSize"], case["newSize"], bytes.fromhex(vectors["roots"][case["oldSize"] - 1]),
            bytes.fromhex(vectors["roots"][case["newSize"] - 1]), [bytes.fromhex(h) for h in case["proof"]])
        if not ok:
            raise ValueError(f"consistency proof {case['oldSize']} -> {case['newSize']} fails")
    origin, size, checkpoint_root = open_checkpoint(vectors["checkpoint"], vectors["verifierKey"])
    if origin != vectors["origin"] or size != len(leaves) or checkpoint_root != root(leaves):
        raise ValueError("the checkpoint does not match the log")
    print(f"{path}: {len(leaves)} entries, chain, {len(vectors['roots'])} roots, "
          f"{len(vectors['inclusion'])} inclusion and {len(vectors['consistency'])} consistency proofs, "
          f"signed checkpoint: all verify")


def check_checkpoint(note: str, verifier_key: str, origin: str, leaves: list, source: str) -> str:
    """Checks one signed checkpoint against the log; returns a summary or raises ValueError."""
    checkpoint_origin, size, checkpoint_root = open_checkpoint(note, verifier_key)
    if checkpoint_origin != origin:
        raise ValueError(f"{source} checkpoint is for {checkpoint_origin}, not {origin}")
    if size > len(leaves):
        raise ValueError(f"{source} checkpoint covers {size} entries but the log has {len(leaves)}: truncated")
    if root(leaves[:size]) != checkpoint_root:
        raise ValueError(f"{source} checkpoint: the first {size} entries do not have the root it signed: rewritten")
    return f"{source} checkpoint of {size} entries signed and consistent"


def verify_database(path: str, checkpoint_path, verifier_key, origin, catalog_path) -> None:
    """Reads a tenant database's audit log (read-only) and verifies it, its stored checkpoints, a checkpoint held
    outside, and the latest checkpoint the catalog keeps."""
    import sqlite3
    held = None
    if checkpoint_path:
        with open(checkpoint_path, encoding="utf-8") as handle:
            held = handle.read()
    if origin is None:
        if held is not None:
            origin = held.split("\n", 1)[0]
        elif verifier_key:
            # A verifier key is named after the log it verifies: <origin>+<key hash>+<key>.
            origin = verifier_key.split("+", 1)[0]
        else:
            raise ValueError("give --origin (memvault.local/<tenant>), a --checkpoint or a --verifier-key naming it")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = connection.execute("SELECT sequence, entry, hash FROM audit_log ORDER BY sequence").fetchall()
    stored = [note for (note,) in connection.execute("SELECT note FROM audit_checkpoints ORDER BY size")]
    connection.close()
    previous = genesis(origin)
    leaves = []
    for expected_sequence, (sequence, encoded, stored_hash) in enumerate(rows, start=1):
        if sequence != expected_sequence:
            raise ValueError(f"entry {expected_sequence}: missing or out of order (found {sequence})")
        entry = decode_entry(bytes(encoded))
        if entry["sequence"] != sequence:
            raise ValueError(f"entry {sequence}: encoded sequence is {entry['sequence']}")
        previous = chain_hash(previous, bytes(encoded))
        if previous != bytes(stored_hash):
            if sequence == 1:
                raise ValueError(f"entry 1: hash mismatch: changed, or the log is not {origin}'s")
            raise ValueError(f"entry {sequence}: hash mismatch: the entry or one before it was changed")
        leaves.append(leaf_hash(bytes(encoded)))
    summary = [f"{path}: {len(leaves)} entries of {origin}, chain verifies, root {root(leaves).hex()[:16]}"]
    if (held or stored or catalog_path) and not verifier_key:
        raise ValueError("checking checkpoints needs --verifier-key (memvault audit key)")
    if held is not None:
        summary.append(check_checkpoint(held, verifier_key, origin, leaves, "the held"))
    if verifier_key:
        for note in stored:
            check_checkpoint(note, verifier_key, origin, leaves, "a stored")
        summary.append(f"{len(stored)} stored checkpoints signed and consistent")
    if catalog_path:
        tenant = origin.rsplit("/", 1)[-1]
        connection = sqlite3.connect(f"file:{catalog_path}?mode=ro", uri=True)
        row = connection.execute("SELECT checkpoint FROM tenants WHERE tenant_id = ?", (tenant,)).fetchone()
        connection.close()
        if row is None:
            raise ValueError(f"the catalog does not list tenant {tenant}")
        if row[0] is not None:
            summary.append(check_checkpoint(row[0], verifier_key, origin, leaves, "the catalog's latest"))
            if row[0] not in stored:
                raise ValueError("the tenant's database no longer holds its latest checkpoint: it was deleted")
    print("; ".join(summary))


def verify_receipt(path: str, verifier_key: str) -> None:
    """Checks an erasure receipt (memvault erase receipt): its Ed25519 signature over the canonical JSON without the
    signature member, the checkpoint's signature, the completion entry's inclusion in the checkpoint's tree, and
    that the entry records this request's completion for this subject."""
    with open(path, "rb") as handle:
        receipt = json.loads(handle.read().decode("utf-8"))
    if receipt.get("format") != "memvault-erasure-receipt/1":
        raise ValueError(f"not an erasure receipt (format {receipt.get('format')!r})")
    signature = receipt.pop("signature", None)
    if not signature or signature.get("algorithm") != "ed25519":
        raise ValueError("the receipt carries no Ed25519 signature")
    if signature["key"] != verifier_key:
        raise ValueError("the receipt is signed by another key than the given verifier key")
    name, _, key_b64 = verifier_key.split("+", 2)
    public = base64.b64decode(key_b64)[1:]
    canonical = json.dumps(receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if not ed25519_verify(public, canonical, base64.b64decode(signature["value"])):
        raise ValueError("the receipt's signature does not verify: it was altered")
    audit = receipt["audit"]
    origin, size, checkpoint_root = open_checkpoint(audit["checkpoint"], verifier_key)
    if origin != audit["origin"] or size != audit["tree_size"]:
        raise ValueError("the checkpoint is for another log or tree size")
    encoded = base64.b64decode(audit["entry"])
    leaf = leaf_hash(encoded)
    if leaf.hex() != audit["leaf_hash"]:
        raise ValueError("the leaf hash is not the entry's")
    proof = [bytes.fromhex(h) for h in audit["proof"]]
    if not verify_inclusion(leaf, audit["sequence"] - 1, size, proof, checkpoint_root):
        raise ValueError("the inclusion proof does not lead to the checkpoint's root")
    entry = decode_entry(encoded)
    expected_detail = f"erasure {receipt['request']} {receipt['state']}"
    if (entry["sequence"] != audit["sequence"] or entry["action"] != "erase" or entry["subject"] != receipt["subject"]
            or entry["detail"] != expected_detail):
        raise ValueError("the audit entry does not record this request's completion for this subject")
    erased = sum(item["count"] for item in receipt["erased"])
    kept = sum(item["count"] for item in receipt["retained"])
    print(f"{path}: erasure {receipt['request']} of {receipt['subject']} {receipt['state']}: {erased} memories "
          f"erased, {kept} kept; signed by {name}; completion entry {audit['sequence']} included in the signed "
          f"checkpoint of {size} entries: the receipt verifies")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--vectors", help="a golden vector file such as Audit/vectors/golden-log.json")
    source.add_argument("--database", help="a tenant database (DATA/tenants/<tenant>.sqlite), opened read-only")
    source.add_argument("--receipt", help="an erasure receipt (memvault erase receipt), with --verifier-key")
    parser.add_argument("--checkpoint", help="with --database: a signed checkpoint held outside the database")
    parser.add_argument("--verifier-key", help="with --database or --receipt: the verifier key (memvault audit key)")
    parser.add_argument("--origin", help="with --database: the log's origin, e.g. memvault.local/acme")
    parser.add_argument("--catalog", help="with --database: the installation's catalog (DATA/catalog.sqlite)")
    arguments = parser.parse_args()
    try:
        if arguments.vectors:
            verify_vectors(arguments.vectors)
        elif arguments.receipt:
            if not arguments.verifier_key:
                raise ValueError("--receipt needs --verifier-key (memvault audit key)")
            verify_receipt(arguments.receipt, arguments.verifier_key)
        else:
            verify_database(
                arguments.database, arguments.checkpoint, arguments.verifier_key, arguments.origin, arguments.catalog)
    except (ValueError, Malformed, KeyError) as problem:
        print(f"verification failed: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
