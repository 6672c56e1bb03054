import fs from "node:fs";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";

/** The deployment files as docker-compose and kustomize render them: scripts/check-deploy.sh writes them to DEPLOY_RENDERED. */

export const ROOT = path.resolve(__dirname, "../..");
const RENDERED = process.env.DEPLOY_RENDERED;
if (!RENDERED) throw new Error("DEPLOY_RENDERED is not set: run `npm run check:deploy`, which renders the files first");

export type Env = Record<string, string>;
export type K8sObject = { kind: string; metadata: { name: string; labels?: Env; annotations?: Env }; spec?: any; data?: Env; stringData?: Env };

/** The component label of k8s/monitoring's objects (Prometheus, Alertmanager, the alert receiver). */
export const MONITORING = "monitoring";

type ComposeFile = { services: Record<string, any>; volumes?: Record<string, unknown> };
export const compose = parse(fs.readFileSync(path.join(RENDERED, "compose.yaml"), "utf8")) as ComposeFile;
export const observabilityCompose = parse(fs.readFileSync(path.join(RENDERED, "compose-observability.yaml"), "utf8")) as ComposeFile;
/** Every object k8s/ renders to. */
export const k8s = parseAllDocuments(fs.readFileSync(path.join(RENDERED, "k8s.yaml"), "utf8")).map((doc) => doc.toJSON() as K8sObject);

export function objects(kind: string): K8sObject[] {
	return k8s.filter((object) => object.kind === kind);
}

export function object(kind: string, name: string): K8sObject {
	const found = k8s.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
	if (!found) throw new Error(`No ${kind} ${name} in the rendered k8s/`);
	return found;
}

/** A ConfigMap of kustomize's generators by the name it was given: the rendered one carries a hash of its content. */
export function generatedConfigMap(name: string): K8sObject {
	const found = objects("ConfigMap").filter((map) => new RegExp(`^${name}-[a-z0-9]{10}$`).test(map.metadata.name));
	if (found.length !== 1) throw new Error(`${found.length} ConfigMaps generated as ${name} in the rendered k8s/`);
	return found[0]!;
}
