"""An independent ActivityPub server for FediFlow's interoperability tests.

Built on bovine (signatures, digests, keys) and http-message-signatures (RFC 9421), served by aiohttp:
nothing here is Fedify. It runs on loopback with actors created through its control API, and behaves as
a small fediverse server does: WebFinger, actor documents with a `publicKey`, inbox (per actor and
shared), outbox, followers and following collections; it verifies the signature of every request it
receives with its own code, answers 401 to anything it cannot verify, accepts follows (sending a signed
Accept back) and records everything for the test to read.

Control API (loopback, for the test only), all JSON:
  POST /_control/actors {name}                         create an actor (RSA key)
  POST /_control/actors/{name}/status {status}         active | gone (410) | missing (404)
  GET  /_control/actors/{name}                         followers and following
  POST /_control/send {from, to, activity|body, scheme, tamper, keyId, contentType}
                                                       sign (draft-cavage or rfc9421) and POST; returns the answer
  POST /_control/follow {from, target, scheme}         WebFinger/actor lookup, then a signed Follow
  POST /_control/undo {from, activity}                 Undo of an activity this peer sent, to the same inbox
  POST /_control/fetch {url, accept, as, scheme}       GET, signed as an actor when `as` is given
  POST /_control/lookup {resource}                     WebFinger (as given) and the actor it points to
  POST /_control/documents {url, document}             serve a document (a JSON-LD context, an object)
  GET  /_control/received                              every request received, with its verification
  GET  /_control/sent                                  every request this peer sent, with the answer

Options: --port N, --refuse-rfc9421 (answer 401 to RFC 9421 signatures after verifying them, as servers
that only know draft-cavage do, so the sender must fall back to draft-cavage: "double knocking").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp import web
from bovine.crypto import generate_rsa_public_private_key
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from signatures import ACTIVITY_JSON, KeyDirectory, sign_cavage, sign_rfc9421, verify_request

AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
RECORDED_HEADERS = (
    "accept",
    "content-type",
    "date",
    "digest",
    "content-digest",
    "signature",
    "signature-input",
    "user-agent",
    "traceparent",
)


@dataclass
class Actor:
    name: str
    base: str
    public_pem: str
    private_key: object
    status: str = "active"
    followers: dict[str, str] = field(default_factory=dict)  # actor id -> inbox
    following: dict[str, dict] = field(default_factory=dict)  # actor id -> {state, follow, inbox}
    outbox: list[dict] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.base}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key"

    def document(self) -> dict:
        return {
            "@context": AS_CONTEXT,
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.capitalize(),
            "inbox": f"{self.id}/inbox",
            "outbox": f"{self.id}/outbox",
            "followers": f"{self.id}/followers",
            "following": f"{self.id}/following",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": self.public_pem},
        }


def actor_id_of(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def collection(collection_id: str, items: list, ordered: bool = True) -> dict:
    key = "orderedItems" if ordered else "items"
    return {
        "@context": AS_CONTEXT[0],
        "id": collection_id,
        "type": "OrderedCollection" if ordered else "Collection",
        "totalItems": len(items),
        key: items,
    }


class Peer:
    def __init__(self, port: int, refuse_rfc9421: bool):
        self.base = f"http://127.0.0.1:{port}"
        self.host = f"127.0.0.1:{port}"
        self.refuse_rfc9421 = refuse_rfc9421
        self.actors: dict[str, Actor] = {}
        self.documents: dict[str, dict] = {}  # objects this peer published, by id
        self.received: list[dict] = []
        self.sent: list[dict] = []
        self.session: aiohttp.ClientSession | None = None
        self.keys: KeyDirectory | None = None
        self.tasks: set[asyncio.Task] = set()

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self, _app):
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        self.keys = KeyDirectory(self.session)

    async def stop(self, _app):
        for task in list(self.tasks):
            task.cancel()
        await self.session.close()

    def background(self, coroutine):
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def actor(self, name: str) -> Actor:
        actor = self.actors.get(name)
        if actor is None:
            raise web.HTTPNotFound(text=json.dumps({"error": f"no actor {name}"}), content_type="application/json")
        return actor

    # ---- outgoing --------------------------------------------------------------------------------
    async def post_signed(
        self,
        actor: Actor,
        url: str,
        body: bytes,
        scheme: str = "draft-cavage",
        tamper: str | None = None,
        key_id: str | None = None,
        content_type: str = ACTIVITY_JSON,
    ) -> dict:
        sign = sign_rfc9421 if scheme == "rfc9421" else sign_cavage
        headers = sign("POST", url, body, key_id or actor.key_id, actor.private_key, content_type)
        headers["content-type"] = content_type
        headers["user-agent"] = "fediflow-interop-peer (bovine; http-message-signatures)"
        if tamper == "digest":
            body = body + b" "  # the signed digest no longer matches what is sent
        elif tamper == "signature":
            # Flip one character of the base64 signature value (header names differ in case per signer).
            name = next(n for n in headers if n.lower() == "signature")
            value = headers[name]
            at = value.rindex("=") - 8  # inside the base64 of the (last) signature value
            headers[name] = value[:at] + ("A" if value[at] != "A" else "B") + value[at + 1 :]
        try:
            async with self.session.post(url, data=body, headers=headers) as response:
                answer = {
                    "status": response.status,
                    "body": (await response.text())[:2000],
                    "headers": dict(response.headers),
                }
        except aiohttp.ClientError as error:
            answer = {"status": None, "error": repr(error)}
        self.sent.append({"url": url, "scheme": scheme, "tamper": tamper, "bytes": len(body), **answer})
        return answer

    async def fetch_json(self, url: str) -> dict:
        async with self.session.get(url, headers={"accept": ACTIVITY_JSON}) as response:
            if response.status != 200:
                raise web.HTTPBadGateway(text=f"GET {url}: {response.status}")
            return json.loads(await response.text())

    async def resolve(self, target: str) -> dict:
        """An actor document from its URL or its `acct:`/`user@host` handle (WebFinger first)."""
        if target.startswith("http://") or target.startswith("https://"):
            return await self.fetch_json(target)
        handle = target.removeprefix("acct:").lstrip("@")
        host = handle.rsplit("@", 1)[1]
        url = f"http://{host}/.well-known/webfinger?resource={quote('acct:' + handle)}"
        async with self.session.get(url, headers={"accept": "application/jrd+json"}) as response:
            jrd = json.loads(await response.text())
        self_link = next(
            link["href"]
            for link in jrd.get("links", [])
            if link.get("rel") == "self" and link.get("type") in (ACTIVITY_JSON, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
        )
        return await self.fetch_json(self_link)

    async def accept_follow(self, actor: Actor, follow: dict, follower_id: str):
        try:
            follower = await self.fetch_json(follower_id)
        except web.HTTPException as error:
            self.sent.append({"url": follower_id, "error": f"follower lookup failed: {error.text}"})
            return
        actor.followers[follower_id] = follower["inbox"]
        accept = {
            "@context": AS_CONTEXT[0],
            "id": f"{actor.id}#accepts/{uuid.uuid4()}",
            "type": "Accept",
            "actor": actor.id,
            "object": follow,
        }
        await self.post_signed(actor, follower["inbox"], json.dumps(accept).encode())

    # ---- incoming --------------------------------------------------------------------------------
    async def record_request(self, request: web.Request, body: bytes | None) -> dict:
        verification = await verify_request(request.method, str(request.url), request.headers, body, self.keys)
        record = {
            "seq": len(self.received) + 1,
            "method": request.method,
            "path": request.path_qs,
            "headers": {name: request.headers[name] for name in RECORDED_HEADERS if name in request.headers},
            "signed": verification.scheme is not None,
            "verification": verification.as_json(),
        }
        self.received.append(record)
        return record

    async def inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        record = await self.record_request(request, body)
        try:
            activity = json.loads(body)
        except ValueError:
            record["outcome"] = "invalid json"
            return web.json_response({"error": "invalid JSON"}, status=400)
        record["activity"] = activity
        verification = record["verification"]
        if not verification["verified"]:
            record["outcome"] = "refused: " + (verification["error"] or "unverified")
            return web.json_response({"error": verification["error"]}, status=401)
        if verification["owner"] != actor_id_of(activity.get("actor")):
            record["outcome"] = "refused: signer is not the actor"
            return web.json_response({"error": "signer is not the actor"}, status=401)
        if self.refuse_rfc9421 and verification["scheme"] == "rfc9421":
            record["outcome"] = "refused by policy: rfc9421"
            return web.json_response({"error": "RFC 9421 signatures are not accepted here"}, status=401)
        record["outcome"] = self.apply(request.match_info.get("name"), activity)
        return web.Response(status=202)

    def apply(self, inbox_owner: str | None, activity: dict) -> str:
        """Side effects of a verified activity, as a small server has them."""
        kind = activity.get("type")
        sender = actor_id_of(activity.get("actor"))
        target = activity.get("object")
        if kind == "Follow":
            local = self.local_actor(actor_id_of(target), inbox_owner)
            if local is None:
                return "ignored: follow of an unknown actor"
            self.background(self.accept_follow(local, activity, sender))
            return "follow accepted"
        if kind == "Undo" and isinstance(target, dict) and target.get("type") == "Follow":
            local = self.local_actor(actor_id_of(target.get("object")), inbox_owner)
            if local is None or local.followers.pop(sender, None) is None:
                return "ignored: not a follower"
            return "unfollowed"
        if kind in ("Accept", "Reject"):
            follow_id = actor_id_of(target)
            for local in self.actors.values():
                entry = local.following.get(sender)
                if entry and (follow_id is None or entry["follow"]["id"] == follow_id):
                    entry["state"] = "accepted" if kind == "Accept" else "rejected"
                    return f"follow {entry['state']}"
            return "ignored: unknown follow"
        return "stored"

    def local_actor(self, actor_id: str | None, inbox_owner: str | None) -> Actor | None:
        for actor in self.actors.values():
            if actor.id == actor_id and (inbox_owner is None or inbox_owner == actor.name):
                return actor
        return None

    # ---- public routes ---------------------------------------------------------------------------
    async def webfinger(self, request: web.Request) -> web.Response:
        await self.record_request(request, None)
        resource = request.query.get("resource", "")
        handle = resource.removeprefix("acct:")
        name, _, host = handle.partition("@")
        actor = self.actors.get(name)
        if actor is None or host != self.host or actor.status != "active":
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(
            {
                "subject": f"acct:{name}@{self.host}",
                "aliases": [actor.id],
                "links": [{"rel": "self", "type": ACTIVITY_JSON, "href": actor.id}],
            },
            content_type="application/jrd+json",
        )

    async def actor_document(self, request: web.Request) -> web.Response:
        await self.record_request(request, None)
        actor = self.actor(request.match_info["name"])
        if actor.status == "gone":
            return web.json_response({"id": actor.id, "type": "Tombstone"}, status=410, content_type=ACTIVITY_JSON)
        if actor.status == "missing":
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(actor.document(), content_type=ACTIVITY_JSON)

    async def actor_collection(self, request: web.Request) -> web.Response:
        await self.record_request(request, None)
        actor = self.actor(request.match_info["name"])
        which = request.match_info["collection"]
        items = {
            "outbox": actor.outbox,
            "followers": list(actor.followers),
            "following": [k for k, v in actor.following.items() if v["state"] == "accepted"],
        }[which]
        return web.json_response(collection(f"{actor.id}/{which}", items), content_type=ACTIVITY_JSON)

    async def document(self, request: web.Request) -> web.Response:
        await self.record_request(request, None)
        found = self.documents.get(f"{self.base}{request.path}")
        if found is None:
            return web.json_response({"error": "not found"}, status=404)
        jsonld = request.path.endswith(".jsonld")
        return web.json_response(found, content_type="application/ld+json" if jsonld else ACTIVITY_JSON)

    # ---- control API -----------------------------------------------------------------------------
    async def create_actor(self, request: web.Request) -> web.Response:
        name = (await request.json())["name"]
        if name not in self.actors:
            public_pem, private_pem = generate_rsa_public_private_key()
            private_key = load_pem_private_key(private_pem.encode(), password=None)
            self.actors[name] = Actor(name, self.base, public_pem, private_key)
        actor = self.actors[name]
        return web.json_response({"id": actor.id, "keyId": actor.key_id, "inbox": f"{actor.id}/inbox"})

    async def set_status(self, request: web.Request) -> web.Response:
        actor = self.actor(request.match_info["name"])
        actor.status = (await request.json())["status"]
        return web.json_response({"status": actor.status})

    async def actor_state(self, request: web.Request) -> web.Response:
        actor = self.actor(request.match_info["name"])
        return web.json_response({"id": actor.id, "followers": actor.followers, "following": actor.following})

    async def control_send(self, request: web.Request) -> web.Response:
        spec = await request.json()
        actor = self.actor(spec["from"])
        if "body" in spec:
            body = spec["body"].encode()
        else:
            activity = spec["activity"]
            self.remember(actor, activity)
            body = json.dumps(activity, ensure_ascii=False).encode()
        answer = await self.post_signed(
            actor,
            spec["to"],
            body,
            scheme=spec.get("scheme", "draft-cavage"),
            tamper=spec.get("tamper"),
            key_id=spec.get("keyId"),
            content_type=spec.get("contentType", ACTIVITY_JSON),
        )
        return web.json_response(answer)

    def remember(self, actor: Actor, activity: dict):
        """An activity this peer sends is in its actor's outbox and dereferenceable, with its object."""
        if not isinstance(activity.get("id"), str) or not activity["id"].startswith(self.base):
            return
        actor.outbox.insert(0, activity)
        self.documents[activity["id"]] = activity
        inner = activity.get("object")
        if isinstance(inner, dict) and isinstance(inner.get("id"), str) and inner["id"].startswith(self.base):
            self.documents[inner["id"]] = inner

    async def control_follow(self, request: web.Request) -> web.Response:
        spec = await request.json()
        actor = self.actor(spec["from"])
        target = await self.resolve(spec["target"])
        follow = {
            "@context": AS_CONTEXT[0],
            "id": f"{self.base}/activities/{uuid.uuid4()}",
            "type": "Follow",
            "actor": actor.id,
            "object": target["id"],
        }
        actor.following[target["id"]] = {"state": "pending", "follow": follow, "inbox": target["inbox"]}
        self.remember(actor, follow)
        answer = await self.post_signed(
            actor, target["inbox"], json.dumps(follow).encode(), scheme=spec.get("scheme", "draft-cavage")
        )
        return web.json_response({"follow": follow, "target": target, "answer": answer})

    async def control_undo(self, request: web.Request) -> web.Response:
        spec = await request.json()
        actor = self.actor(spec["from"])
        original = self.documents[spec["activity"]]
        target_id = actor_id_of(original.get("object"))
        entry = actor.following.get(target_id, {})
        inbox = spec.get("to") or entry.get("inbox")
        undo = {
            "@context": AS_CONTEXT[0],
            "id": f"{self.base}/activities/{uuid.uuid4()}",
            "type": "Undo",
            "actor": actor.id,
            "object": original,
        }
        if entry:
            entry["state"] = "undone"
        self.remember(actor, undo)
        answer = await self.post_signed(actor, inbox, json.dumps(undo).encode(), scheme=spec.get("scheme", "draft-cavage"))
        return web.json_response({"undo": undo, "answer": answer})

    async def control_fetch(self, request: web.Request) -> web.Response:
        spec = await request.json()
        headers = {}
        accept = spec.get("accept")
        if spec.get("as"):
            actor = self.actor(spec["as"])
            sign = sign_rfc9421 if spec.get("scheme") == "rfc9421" else sign_cavage
            headers = sign("GET", spec["url"], None, actor.key_id, actor.private_key, accept or ACTIVITY_JSON)
        elif accept is not None:
            headers["accept"] = accept
        # aiohttp adds "Accept: */*" when none is given; an explicit empty value is sent as no Accept.
        skip = () if accept is not None or spec.get("as") else ("Accept",)
        async with self.session.get(spec["url"], headers=headers, skip_auto_headers=skip) as response:
            return web.json_response(
                {"status": response.status, "headers": dict(response.headers), "body": await response.text()}
            )

    async def control_lookup(self, request: web.Request) -> web.Response:
        resource = (await request.json())["resource"]
        host = resource.removeprefix("acct:").rsplit("@", 1)[1]
        url = f"http://{host}/.well-known/webfinger?resource={quote(resource)}"
        async with self.session.get(url, headers={"accept": "application/jrd+json"}) as response:
            result = {"status": response.status, "contentType": response.headers.get("content-type")}
            text = await response.text()
        if result["status"] != 200:
            return web.json_response({**result, "body": text})
        jrd = json.loads(text)
        actor = await self.resolve(next(link["href"] for link in jrd["links"] if link.get("rel") == "self"))
        return web.json_response({**result, "jrd": jrd, "actor": actor})

    async def control_document(self, request: web.Request) -> web.Response:
        spec = await request.json()
        self.documents[spec["url"]] = spec["document"]
        return web.json_response({"url": spec["url"]})

    async def control_received(self, _request: web.Request) -> web.Response:
        return web.json_response(self.received)

    async def control_sent(self, _request: web.Request) -> web.Response:
        return web.json_response(self.sent)

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "base": self.base})


def build_app(peer: Peer) -> web.Application:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.on_startup.append(peer.start)
    app.on_cleanup.append(peer.stop)
    app.router.add_get("/_control/health", peer.health)
    app.router.add_post("/_control/actors", peer.create_actor)
    app.router.add_get("/_control/actors/{name}", peer.actor_state)
    app.router.add_post("/_control/actors/{name}/status", peer.set_status)
    app.router.add_post("/_control/send", peer.control_send)
    app.router.add_post("/_control/follow", peer.control_follow)
    app.router.add_post("/_control/undo", peer.control_undo)
    app.router.add_post("/_control/fetch", peer.control_fetch)
    app.router.add_post("/_control/lookup", peer.control_lookup)
    app.router.add_post("/_control/documents", peer.control_document)
    app.router.add_get("/_control/received", peer.control_received)
    app.router.add_get("/_control/sent", peer.control_sent)
    app.router.add_get("/.well-known/webfinger", peer.webfinger)
    app.router.add_get("/users/{name}", peer.actor_document)
    app.router.add_get("/users/{name}/{collection:outbox|followers|following}", peer.actor_collection)
    app.router.add_post("/users/{name}/inbox", peer.inbox)
    app.router.add_post("/inbox", peer.inbox)
    app.router.add_get("/{path:.+}", peer.document)
    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--refuse-rfc9421", action="store_true")
    args = parser.parse_args()
    peer = Peer(args.port, args.refuse_rfc9421)
    print(f"peer listening on {peer.base} (refuse rfc9421: {args.refuse_rfc9421})", flush=True)
    web.run_app(build_app(peer), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
