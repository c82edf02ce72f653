#!/usr/bin/env bash
# flamock conformance adapter in bash, with curl and openssl only: the
# adapter contract (conformance/CONTRACT.md) in its simplest form.
#
#   flamock conform --client "bash conformance/adapters/bash/flamock-client.sh"
#
# It reads the operations from FLAMOCK_OPERATIONS_TSV (one line per
# operation: id, method, path, pause in ms, body file or "-"), signs an RS256
# client assertion with `openssl dgst -sign`, keeps the access token while
# it is valid, and prints one JSON result line per operation. Retries: one
# token renewal and one retry after a 401; Retry-After on 429 and 503; a
# back-off on 500, 502 and 504; at most 2 retries; nothing else retried.
# RSA keys only (an EC signature would need DER-to-raw conversion).
set -uo pipefail

: "${FLAMOCK_TOKEN_URL:?}" "${FLAMOCK_API_URL:?}" "${FLAMOCK_CLIENT_ID:?}" "${FLAMOCK_KEY_PEM:?}"
: "${FLAMOCK_CA_FILE:?}" "${FLAMOCK_OPERATIONS_TSV:?}"
scope=${FLAMOCK_SCOPE:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log() { printf 'bash-adapter: %s\n' "$*" >&2; }

for tool in curl openssl; do
	command -v "$tool" >/dev/null || { log "needs $tool on PATH (Debian: apt-get install curl openssl)"; exit 2; }
done

# b64url encodes stdin as base64url without padding (RFC 7515 §2).
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# json_string prints its argument as a JSON string.
json_string() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	s=${s//$'\r'/}
	s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}

assertion() {
	local now jti header claims input sig
	now=$(date +%s)
	jti=$(openssl rand -hex 16)
	header='{"alg":"RS256","typ":"JWT"}'
	claims=$(printf '{"iss":%s,"sub":%s,"aud":%s,"iat":%d,"exp":%d,"jti":"%s"}' \
		"$(json_string "$FLAMOCK_CLIENT_ID")" "$(json_string "$FLAMOCK_CLIENT_ID")" \
		"$(json_string "$FLAMOCK_TOKEN_URL")" "$now" "$((now + 300))" "$jti")
	input="$(printf '%s' "$header" | b64url).$(printf '%s' "$claims" | b64url)"
	sig=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$FLAMOCK_KEY_PEM" -binary | b64url) || return 1
	printf '%s.%s' "$input" "$sig"
}

token=""
token_until=0
token_error=""

# ensure_token sets $token to a valid access token, or $token_error.
# YOUR CLIENT (1 of 2): this is flamock's reference code getting an access token. Replace it with a call of your own client's token code; until you do, flamock conform judges flamock's code, not yours (and says so).
ensure_token() {
	if [ -n "$token" ] && [ "$(date +%s)" -lt "$token_until" ]; then
		return 0
	fi
	token=""
	local a status body expires
	if ! a=$(assertion); then
		token_error="cannot sign the client assertion with $FLAMOCK_KEY_PEM"
		return 1
	fi
	local args=(--data-urlencode grant_type=client_credentials
		--data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
		--data-urlencode "client_assertion=$a")
	[ -n "$scope" ] && args+=(--data-urlencode "scope=$scope")
	if ! status=$(curl -sS --cacert "$FLAMOCK_CA_FILE" -o "$tmp/token.json" -w '%{http_code}' \
		-H 'Content-Type: application/x-www-form-urlencoded' -H 'Accept: application/json' \
		"${args[@]}" "$FLAMOCK_TOKEN_URL" 2>"$tmp/curl.err"); then
		token_error=$(tr '\n' ' ' <"$tmp/curl.err")
		return 1
	fi
	body=$(tr -d '\n' <"$tmp/token.json")
	log "POST $FLAMOCK_TOKEN_URL -> $status"
	if [ "$status" != 200 ]; then
		token_error="status $status: $body"
		return 1
	fi
	token=$(printf '%s' "$body" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
	expires=$(printf '%s' "$body" | sed -n 's/.*"expires_in" *: *\([0-9]*\).*/\1/p')
	if [ -z "$token" ]; then
		token_error="no access_token in $body"
		return 1
	fi
	token_until=$(($(date +%s) + ${expires:-300} - 60))
}

# result prints a result line: id status body-file, or id "" error-text.
result() {
	local id=$1 status=$2 rest=$3
	if [ -z "$status" ]; then
		printf '{"id":%s,"error":%s}\n' "$(json_string "$id")" "$(json_string "$rest")"
		return
	fi
	local body
	body=$(tr -d '\n\r' <"$rest")
	case $body in
	"") printf '{"id":%s,"status":%s}\n' "$(json_string "$id")" "$status" ;;
	\{* | \[*) printf '{"id":%s,"status":%s,"body":%s}\n' "$(json_string "$id")" "$status" "$body" ;;
	*) printf '{"id":%s,"status":%s,"body":%s}\n' "$(json_string "$id")" "$status" "$(json_string "$body")" ;;
	esac
}

retry_after() {
	local v
	v=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$tmp/headers" | head -n1)
	[ -n "$v" ] || v=1
	[ "$v" -gt 10 ] && v=10
	printf '%s' "$v"
}

exec 3<"$FLAMOCK_OPERATIONS_TSV"
while IFS=$'\t' read -r -u 3 id method path pause bodyfile; do
	[ -n "$id" ] || continue
	[ "${pause:-0}" -gt 0 ] && sleep "$(awk "BEGIN{print $pause/1000}")"
	renewed=0
	retries=0
	while :; do
		if ! ensure_token; then
			result "$id" "" "token: $token_error"
			break
		fi
		# YOUR CLIENT (2 of 2): this is flamock's reference code calling the API. Replace it with a call of your own client's API code, which must reuse, renew and retry as conformance/CONTRACT.md says.
		args=(-sS --cacert "$FLAMOCK_CA_FILE" -X "$method" -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}'
			-H "Authorization: Bearer $token" -H 'Accept: application/json, application/problem+json')
		if [ "$bodyfile" != "-" ]; then
			args+=(-H 'Content-Type: application/json' --data-binary "@$bodyfile")
		fi
		if ! status=$(curl "${args[@]}" "$FLAMOCK_API_URL$path" 2>"$tmp/curl.err"); then
			result "$id" "" "$(tr '\n' ' ' <"$tmp/curl.err")"
			break
		fi
		log "$method $path -> $status"
		case $status in
		401)
			token="" # never reuse a refused token
			if [ $renewed -eq 0 ]; then
				renewed=1
				continue
			fi
			;;
		429 | 503)
			if [ $retries -lt 2 ]; then
				retries=$((retries + 1))
				sleep "$(retry_after)"
				continue
			fi
			;;
		500 | 502 | 504)
			if [ $retries -lt 2 ]; then
				sleep "$(awk "BEGIN{print 0.2 * 2^$retries}")"
				retries=$((retries + 1))
				continue
			fi
			;;
		esac
		result "$id" "$status" "$tmp/body"
		break
	done
done
exit 0
