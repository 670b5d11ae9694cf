// Validate Kubernetes objects against the Kubernetes OpenAPI schemas, offline
// (kubernetes-models' compiled validators). Input: a JSON array of objects on stdin.
// Output: one line per object, "ok KIND NAME" or "INVALID KIND NAME: reasons".
// Exit 0 when every object is valid, 1 when one is not, 2 on unusable input.
import { readFileSync } from 'node:fs';

let objs;
try {
  objs = JSON.parse(readFileSync(0, 'utf8'));
} catch (e) {
  console.error(`validate: stdin is not JSON: ${e.message}`);
  process.exit(2);
}
let bad = 0;
for (const o of objs) {
  const { apiVersion, kind } = o ?? {};
  const name = o?.metadata?.name ?? '(no name)';
  let mod;
  try {
    mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
  } catch (e) {
    console.log(`INVALID ${kind} ${name}: unknown apiVersion/kind ${apiVersion}/${kind}`);
    bad = 1;
    continue;
  }
  try {
    new mod[kind](o).validate();
    console.log(`ok ${kind} ${name}`);
  } catch (e) {
    console.log(`INVALID ${kind} ${name}: ${e.message}`);
    bad = 1;
  }
}
process.exit(bad);
