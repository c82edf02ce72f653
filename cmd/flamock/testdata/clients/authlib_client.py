"""A vendor's client built on Authlib (Debian python3-authlib), as the README
recipe describes: private_key_jwt with the client credentials grant, then a
PUT and a GET with the access token.

usage: authlib_client.py default|documented TOKEN_URL CLIENT_ID KEY.p12 PASSWORD API_URL BODY_FILE

"default" keeps Authlib's defaults (an assertion valid 3600 s) and prints the
token endpoint's refusal as JSON, exit 3. "documented" sets exp 300 s ahead and
prints {"put": status, "get": status, "tokenType": ...}.
"""
import json
import sys

from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12


class PortalPrivateKeyJWT(PrivateKeyJWT):
    """private_key_jwt as the portal wants it: aud is the token URL (Authlib's
    default) and the assertion lives at most 10 minutes (Authlib's default is 3600 s)."""

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(auth.client_secret, client_id=auth.client_id,
                                    token_endpoint=token_endpoint, alg=self.alg, expires_in=300)


def main():
    mode, token_url, client_id, p12, password, api_url, body_file = sys.argv[1:8]
    with open(p12, "rb") as f:
        key, _cert, _chain = pkcs12.load_key_and_certificates(f.read(), password.encode())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    session = OAuth2Session(client_id, pem, token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(PrivateKeyJWT(token_url) if mode == "default" else PortalPrivateKeyJWT(token_url))
    try:
        token = session.fetch_token(token_url, grant_type="client_credentials")
    except OAuthError as e:
        print(json.dumps({"error": e.error, "error_description": e.description}))
        return 3

    with open(body_file, "rb") as f:
        body = f.read()
    put = session.put(api_url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    get = session.get(api_url, timeout=30)
    print(json.dumps({"put": put.status_code, "get": get.status_code, "tokenType": token["token_type"],
                      "getBody": get.text[:200]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
