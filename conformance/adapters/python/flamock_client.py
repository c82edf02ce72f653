#!/usr/bin/env python3
"""flamock conformance adapter in Python, with requests and PyJWT.

    flamock conform --client "python3 conformance/adapters/python/flamock_client.py"

The adapter contract (conformance/CONTRACT.md): read the FLAMOCK_* variables,
perform the operations of FLAMOCK_OPERATIONS in order with one HTTP session,
print one JSON result line per operation on stdout, log on stderr, exit 0.
Debian: apt-get install python3-requests python3-jwt python3-cryptography.

The client assertion carries the claims of the Social Security's own example
(iss, sub, aud, exp, jti; iat is optional). Retries: one token renewal and
one retry after a 401; Retry-After on 429 and 503; exponential back-off on
500, 502 and 504; at most 3 retries of one operation; nothing else retried.
"""
import json
import os
import sys
import time
import uuid

try:
    import jwt
    import requests
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError as e:
    print("python-adapter: needs PyJWT, requests and cryptography: pip install pyjwt requests cryptography"
          " (Debian: apt-get install python3-jwt python3-requests python3-cryptography): "
          f"{type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(2)

MAX_RETRIES = 3            # of one operation, after 429, 503 or 5xx
RENEW_MARGIN = 30          # seconds before expires_in ends: get a new token
ASSERTION_LIFETIME = 300   # seconds; at most 600


def log(msg):
    print("python-adapter: " + msg, file=sys.stderr, flush=True)


class Client:
    def __init__(self):
        env = os.environ
        self.token_url = env["FLAMOCK_TOKEN_URL"]
        self.api_url = env["FLAMOCK_API_URL"].rstrip("/")
        self.client_id = env["FLAMOCK_CLIENT_ID"]
        self.scope = env.get("FLAMOCK_SCOPE", "")
        with open(env["FLAMOCK_KEY_PEM"], "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        if isinstance(self.key, rsa.RSAPrivateKey):
            self.alg = "RS256"
        elif isinstance(self.key, ec.EllipticCurvePrivateKey):
            self.alg = {"secp384r1": "ES384", "secp521r1": "ES512"}.get(self.key.curve.name, "ES256")
        else:
            raise SystemExit("unsupported key type")
        self.http = requests.Session()
        # Trust this CA, and only it. Pass it on each request: a Session's
        # verify loses to REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set.
        self.ca = env["FLAMOCK_CA_FILE"]
        self.token = None
        self.token_until = 0.0

    def assertion(self):
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url,
                  "exp": now + ASSERTION_LIFETIME, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self.key, algorithm=self.alg)

    # YOUR CLIENT (1 of 2): this is flamock's reference code getting an access token. Replace it with a call of your own client's token code; until you do, flamock conform judges flamock's code, not yours (and says so).
    def access_token(self):
        if self.token and time.time() < self.token_until:
            return self.token
        form = {"grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.assertion()}
        if self.scope:
            form["scope"] = self.scope
        r = self.http.post(self.token_url, data=form, headers={"Accept": "application/json"}, verify=self.ca, timeout=20)
        log(f"POST {self.token_url} -> {r.status_code}")
        if r.status_code != 200:
            raise RuntimeError(f"token: status {r.status_code}: {r.text[:300]}")
        body = r.json()
        self.token = body["access_token"]
        self.token_until = time.time() + int(body.get("expires_in", 300)) - RENEW_MARGIN
        return self.token

    def perform(self, op):
        renewed, retries = False, 0
        body = json.dumps(op["body"]).encode() if "body" in op else None
        while True:
            try:
                token = self.access_token()
            except (requests.RequestException, RuntimeError, KeyError, ValueError) as e:
                return {"id": op["id"], "error": str(e)}
            headers = {"Authorization": "Bearer " + token, "Accept": "application/json, application/problem+json"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            # YOUR CLIENT (2 of 2): this is flamock's reference code calling the API. Replace it with a call of your own client's API code, which must reuse, renew and retry as conformance/CONTRACT.md says.
            try:
                r = self.http.request(op["method"], self.api_url + op["path"], data=body, headers=headers, verify=self.ca, timeout=20)
            except requests.RequestException as e:
                return {"id": op["id"], "error": str(e)}
            log(f"{op['method']} {op['path']} -> {r.status_code}")
            if r.status_code == 401 and not renewed:
                renewed, self.token = True, None  # never reuse a refused token
                continue
            if r.status_code == 401:
                self.token = None
            elif r.status_code in (429, 503) and retries < MAX_RETRIES:
                retries += 1
                time.sleep(retry_after(r.headers.get("Retry-After")))
                continue
            elif r.status_code in (500, 502, 504) and retries < MAX_RETRIES:
                time.sleep(0.2 * 2 ** retries)  # 200, 400, 800 ms
                retries += 1
                continue
            result = {"id": op["id"], "status": r.status_code}
            if r.content:
                try:
                    result["body"] = r.json()  # a problem's detail and issues travel as they came
                except ValueError:
                    result["body"] = r.text
            return result


def retry_after(value):
    """Retry-After in seconds (delay-seconds only here), 1 s if absent, at most 10 s."""
    try:
        return min(max(int(value), 0), 10)
    except (TypeError, ValueError):
        return 1


def main():
    client = Client()
    with open(os.environ["FLAMOCK_OPERATIONS"]) as f:
        operations = json.load(f)["operations"]
    for op in operations:
        time.sleep(op.get("pauseMs", 0) / 1000)
        print(json.dumps(client.perform(op)), flush=True)


if __name__ == "__main__":
    main()
