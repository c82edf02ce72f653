// Package mockoauth is a strict stand-in for the Social Security OAuth v5
// token endpoint (POST /REST/oauth/v5/token): the client credentials grant
// with client authentication by a JWT signed with the key of a registered
// certificate (private_key_jwt).
//
// # Endpoints
//
//	POST {TokenPath}     token endpoint: RFC 6749 §4.4 (client credentials),
//	                     RFC 7521 §4.2 and RFC 7523 §2.2 (JWT client
//	                     assertion), RFC 7515/7518/7519 (JWS, JWT).
//	GET  {JWKSPath}      the public key of the JWT access tokens, a JWK Set
//	                     (RFC 7517 §5), default /REST/oauth/v5/jwks.
//	/__admin/oauth/...   test knobs over HTTP (AdminHandler); not part of
//	                     the real service.
//
// A Server is an http.Handler built from a Config; NewTestServer runs one on
// 127.0.0.1 in the httptest style. VerifyAccessToken tells an API mock who
// is behind an access token.
//
// # Order of checks
//
// A token request is checked in this order; the first failure answers an
// RFC 6749 §5.2 JSON error (Cache-Control: no-store) whose
// error_description names what was expected and what came:
//
//  1. POST (else 405 invalid_request); Content-Type
//     application/x-www-form-urlencoded, optionally charset=UTF-8, no
//     parameter twice (RFC 6838 §4.3); body at most MaxFormBytes (else 413
//     invalid_request); a well-formed form with no parameter twice; no
//     OAuth parameter in the URL query. A parameter sent without a value
//     (scope=, client_secret=, client_id=, in the form or the query) is
//     treated as omitted, whatever its name (RFC 6749 §3.1, §3.2).
//  2. grant_type=client_credentials (missing: invalid_request; other:
//     unsupported_grant_type).
//  3. No client_secret and no Authorization header (Basic or other):
//     invalid_request, the portal does not support client secrets.
//  4. client_assertion_type is the RFC 7523 URN; client_assertion present,
//     at most MaxAssertionBytes, a compact JWS (3 segments, strict
//     base64url without padding, JSON objects nesting at most
//     jsonlimit.MaxDepth, 64, levels of objects and arrays, checked before
//     any JSON decoder reads them): invalid_request, the parameter is
//     malformed and no client is known yet.
//  5. Header alg in Config.Algorithms (never none, never HS*), no crit:
//     invalid_client. typ and kid are never required and any kid is
//     accepted; jku, x5u, jwk, x5c, kid and x5t are never used to find,
//     fetch or trust a key.
//  6. The client, by the client_id form field if sent, else sub, else iss:
//     invalid_client when unknown.
//  7. A registered certificate whose key type alg needs (RS*/PS*: RSA;
//     ES384: P-384; ES512: P-521), and the signature verifying with one of
//     them (a client may have several during a rotation): invalid_client;
//     an ES* signature in DER rather than r||s is named.
//  8. iss = sub = client id (and = client_id, if sent).
//  9. aud is exactly the audience (Config.Audience, the public URL; for
//     Config.Environment acc or prod that environment's token URL; default
//     the token URL at the address the connection reached, that is the
//     listener's address, never the Host header, which the client chooses),
//     as a string or a one-element array. Near misses are named: trailing
//     slash, http/https, another environment's audience with the setting
//     that accepts it, the v3 and v4 audiences and the acceptance host
//     without a path of older samples, with the v5 audience, the URL of the
//     Host header, the issuer (the default of openid-client and
//     oauth4webapi).
//  10. exp present, a NumericDate, not past (with ClockSkew); exp − iat at
//     most MaxAssertionLifetime (exp − now, plus skew, when iat is absent;
//     a long lifetime is also said in hours or days; an hour, several
//     libraries' default, and ten days, Python's timedelta(10), are named);
//     iat and nbf not in the future beyond ClockSkew.
//  11. jti present and not used before by the same client while an
//     assertion carrying it could be valid.
//  12. scope, if sent: scope-tokens separated by single spaces, each
//     allowed for the client (invalid_scope); absent: the client's default
//     scopes.
//  13. The certificate that signed is valid now (rules CERT-VALID-NBF and
//     CERT-VALID-NAF of certgen); the client is not disabled
//     (unauthorized_client).
//
// The journal event of a refused request names the check in Stage
// (journal.StageMethod, StageContentType, StageForm and StageQuery for 1;
// StageGrant; StageClientSecret; StageAssertionType and StageJWS for 4;
// StageAlg; StageClient; StageSignature; StageIssSub; StageAud; StageExp,
// StageLifetime and StageIatNbf for 10; StageJTI, or StageCapacity when the
// replay cache is full; StageScope; StageCertificate and StageDisabled for
// 13), and every event records the request's Method, ContentType (media
// type only) and ClientAuth (a client_secret form field or URL parameter,
// HTTP Basic, or another Authorization header; never the secret itself).
// A URL query echoed in an error (and so in the journal) has the values of
// client_secret, client_assertion, access_token, refresh_token and password
// replaced by REDACTED.
//
// On the portal's token path, the retired v3 and v4 token paths answer 404
// invalid_request pointing to v5 (Paths lists them for a router).
//
// invalid_client is sent with status 400 (Config.InvalidClientStatus may
// make it 401, with WWW-Authenticate).
//
// # Tokens
//
// Access tokens are JWTs by default, as the portal's are: RS256, with a
// kid ("oauth-" and the key's RFC 7638 thumbprint unless
// Config.SigningKeyID names it), signed by Config.SigningKey or by an RSA
// 2048 key generated in the background at New. Claims: iss (Config.Issuer, else
// the origin of the audience, so never the Host header), sub and client_id (the client id), iat, exp
// (iat + TokenTTL), jti (the issue instant and 16 random bytes), scope
// (space-separated), quality and the enterprise number as
// urn:be:fgov:kbo-bce:organization:cbe-number, each left out when empty. VerifyAccessToken
// checks the signature, the kid, the claims and a small revocation list
// (the revoke and expire knobs: per token until its exp, or a watermark for
// every token issued so far), so it needs no table of issued tokens; a
// token verified once is cached (at most 16 Ki) so that later API calls
// cost a map lookup. Config.AccessTokens = AccessTokensOpaque issues
// opaque tokens instead: 32 bytes from Config.Rand, base64url, remembered
// by the server. The response has access_token, scope, token_type Bearer
// and expires_in, in that order. The journal names a token by Fingerprint,
// never by itself.
//
// # Bounds
//
//   - Request body: MaxFormBytes (64 KiB); client_assertion:
//     MaxAssertionBytes (16 KiB).
//   - Replay cache: one fixed-size entry (SHA-256 of client id and jti) per
//     accepted assertion, kept until its exp plus ClockSkew, at most
//     MaxReplayEntries (1 Mi, about 80 MB). At the bound, after evicting
//     what has expired, new assertions are refused with 503
//     temporarily_unavailable and Retry-After (fail closed: a replay is never
//     let through to make room).
//   - Opaque tokens: kept until expiry plus ExpiredTokenRetention (so that
//     VerifyAccessToken can say ErrExpired, not ErrInvalid), at most
//     MaxTokens (1 Mi); at the bound the token due to be forgotten first is
//     forgotten early.
//
// Eviction is driven by a min-heap per memory, so it costs O(log n) per
// entry and never scans.
//
// # Test knobs
//
// All safe for concurrent use: QueueFault/FailNext/ClearFaults/Faults (the
// API mock's fault vocabulary: a status and error, a malformed body, a
// Retry-After, a delay, a dropped connection), ExpireToken(s), RevokeToken(s),
// SetClockOffset, AddClient/RemoveClient, AddCertificate/RemoveCertificate,
// IssueToken. The clock (Config.Now) and randomness (Config.Rand) are
// injectable. Every token request, including those answered by a planted
// fault (Stage journal.StageFault), writes one journal event with the
// decoded JWS header and claims (never the signature, a client secret or a
// token).
//
// # Out of scope
//
// Other grants, authorization and introspection endpoints, client secrets,
// client keys from a JWKS URL (they come from registered certificates
// only), encrypted assertions (JWE).
package mockoauth
