// A vendor's client built on openid-client v6 (npm), as the README recipe
// describes: PrivateKeyJwt with the client credentials grant, then a PUT and
// a GET with fetchProtectedResource.
//
// usage: node openid_client.mjs default|documented ISSUER TOKEN_URL CLIENT_ID KEY.pem API_URL BODY_FILE
//
// "default" keeps openid-client's defaults (aud is the issuer) and prints the
// token endpoint's refusal as JSON, exit 3. "documented" sets aud to the token
// URL and prints {"put": status, "get": status, "tokenType": ...}.
// FLAMOCK_NODE_MODULES names the node_modules folder openid-client is in.
import { createRequire } from 'node:module'
import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const [mode, issuer, tokenURL, clientId, keyFile, apiURL, bodyFile] = process.argv.slice(2)
const require = createRequire(process.env.FLAMOCK_NODE_MODULES + '/')
const client = await import(pathToFileURL(require.resolve('openid-client')).href)

// The key: a PKCS#8 PEM (from the .p12: openssl pkcs12 -in client.p12 -nocerts -nodes -out client.key).
const der = createPrivateKey(readFileSync(keyFile)).export({ type: 'pkcs8', format: 'der' })
const key = await crypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])

const options = mode === 'default' ? undefined : {
  // The portal wants the token URL in aud; openid-client puts the issuer there by default.
  [client.modifyAssertion]: (header, payload) => { payload.aud = tokenURL },
}
const config = new client.Configuration({ issuer, token_endpoint: tokenURL }, clientId, {}, client.PrivateKeyJwt(key, options))
client.allowInsecureRequests(config) // plain http on loopback only

let tokens
try {
  tokens = await client.clientCredentialsGrant(config)
} catch (e) {
  console.log(JSON.stringify({ error: e.error, error_description: e.error_description, message: e.message }))
  process.exit(3)
}
const body = readFileSync(bodyFile)
const headers = new Headers({ 'content-type': 'application/json' })
const put = await client.fetchProtectedResource(config, tokens.access_token, new URL(apiURL), 'PUT', body, headers)
const get = await client.fetchProtectedResource(config, tokens.access_token, new URL(apiURL), 'GET')
console.log(JSON.stringify({ put: put.status, get: get.status, tokenType: tokens.token_type, getBody: (await get.text()).slice(0, 200) }))
