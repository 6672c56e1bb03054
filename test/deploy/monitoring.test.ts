import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { generatedConfigMap, MONITORING, object, objects, ROOT, type K8sObject } from "./rendered";

/*
 * k8s/monitoring as kustomize renders it: Prometheus with the shop's alerting rules, Alertmanager
 * and the alert receiver, wired to one another and to the shop's pods. Debian's promtool is built
 * without Kubernetes discovery, so the Prometheus configuration is held against the objects here;
 * the rules themselves are checked and tested by promtool in check-deploy.sh.
 */

const deployments = objects("Deployment").filter((deployment) => deployment.metadata.labels?.["app.kubernetes.io/component"] === MONITORING);
const container = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];
const volumeOf = (deployment: K8sObject, mountPath: string) => {
	const mount = (container(deployment).volumeMounts as { name: string; mountPath: string }[]).find((m) => m.mountPath === mountPath);
	return (deployment.spec.template.spec.volumes as { name: string; configMap?: { name: string } }[]).find((v) => v.name === mount?.name);
};
const config = parse(generatedConfigMap("prometheus-config").data!["prometheus.yml"]!);

/** The Service of that name, and the container port it sends to on the pods it selects. */
function serviceTarget(name: string): { port: number; containerPort: number; deployment: string } {
	const service = object("Service", name);
	const selected = objects("Deployment").filter((deployment) =>
		Object.entries(service.spec.selector as Record<string, string>).every(([key, value]) => deployment.spec.template.metadata.labels?.[key] === value),
	);
	expect(selected.map((deployment) => deployment.metadata.name)).toEqual([name]);
	const [port] = service.spec.ports as { port: number; targetPort: string }[];
	const containerPort = (container(selected[0]!).ports as { name: string; containerPort: number }[]).find((p) => p.name === port!.targetPort);
	return { port: port!.port, containerPort: containerPort!.containerPort, deployment: selected[0]!.metadata.name };
}

describe("k8s/monitoring", () => {
	it("runs Prometheus, Alertmanager and the alert receiver, one replica each, non-root, probed, with requests and limits", () => {
		expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual(["alert-receiver", "alertmanager", "prometheus"]);
		for (const deployment of deployments) {
			const c = container(deployment);
			expect({ name: deployment.metadata.name, replicas: deployment.spec.replicas }).toEqual({ name: deployment.metadata.name, replicas: 1 });
			expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
			expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
			expect(c.readinessProbe.httpGet.port).toBe("http");
			expect(c.livenessProbe.httpGet.port).toBe("http");
			expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
			expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
		}
	});

	it("loads observability/alerts.yml, the rules compose loads, beside its configuration where rule_files points", () => {
		const prometheus = object("Deployment", "prometheus");
		const configDir = "/etc/prometheus";
		expect(container(prometheus).args).toContain(`--config.file=${configDir}/prometheus.yml`);
		expect(volumeOf(prometheus, configDir)?.configMap?.name).toBe(generatedConfigMap("prometheus-config").metadata.name);
		const rules = generatedConfigMap("prometheus-rules");
		for (const file of config.rule_files as string[]) {
			const resolved = path.posix.resolve(configDir, file);
			expect(volumeOf(prometheus, path.posix.dirname(resolved))?.configMap?.name).toBe(rules.metadata.name);
			expect(rules.data![path.posix.basename(resolved)]).toBe(fs.readFileSync(path.join(ROOT, "observability", "alerts.yml"), "utf8"));
		}
		expect(config.rule_files).toHaveLength(1);
	});

	it("scrapes the shop's pods by the annotations their Deployment gives them, as job shop (the rules' up{job=\"shop\"})", () => {
		const [job] = config.scrape_configs as { job_name: string; kubernetes_sd_configs: { role: string }[]; relabel_configs: Record<string, any>[] }[];
		expect(job!.job_name).toBe("shop");
		expect(job!.kubernetes_sd_configs).toEqual([expect.objectContaining({ role: "pod", namespaces: { own_namespace: true } })]);
		const keep = job!.relabel_configs.find((rule) => rule.action === "keep");
		expect(keep).toMatchObject({ source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], regex: "true" });
		const orders = object("Deployment", "orders").spec.template;
		expect(orders.metadata.annotations["prometheus.io/scrape"]).toBe("true");
		const metricsPort = (orders.spec.containers[0].ports as { name: string; containerPort: number }[]).find((p) => p.name === "metrics");
		expect(orders.metadata.annotations["prometheus.io/port"]).toBe(String(metricsPort!.containerPort));
		// The Kubernetes API answers only about pods of its own namespace: a Role, bound to its account.
		const binding = object("RoleBinding", "prometheus");
		expect((binding as any).roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "prometheus" });
		expect((binding as any).subjects).toEqual([expect.objectContaining({ kind: "ServiceAccount", name: "prometheus" })]);
		expect((object("Role", "prometheus") as any).rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
		expect(object("Deployment", "prometheus").spec.template.spec.serviceAccountName).toBe("prometheus");
		expect(objects("ClusterRole")).toEqual([]);
	});

	it("sends alerts to Alertmanager's Service, which routes them as compose's does, to the alert receiver's Service", () => {
		const [target] = (config.alerting.alertmanagers as { static_configs: { targets: string[] }[] }[])[0]!.static_configs[0]!.targets;
		const [host, port] = target!.split(":");
		expect(serviceTarget(host!)).toMatchObject({ port: Number(port), containerPort: 9093, deployment: "alertmanager" });
		const alertmanager = object("Deployment", "alertmanager");
		expect(container(alertmanager).args).toContain("--config.file=/etc/alertmanager/alertmanager.yml");
		const routes = generatedConfigMap("alertmanager-config");
		expect(volumeOf(alertmanager, "/etc/alertmanager")?.configMap?.name).toBe(routes.metadata.name);
		expect(routes.data!["alertmanager.yml"]).toBe(fs.readFileSync(path.join(ROOT, "observability", "alertmanager.yml"), "utf8"));
		const urls = (parse(routes.data!["alertmanager.yml"]!).receivers as { webhook_configs?: { url: string }[] }[]).flatMap((r) =>
			(r.webhook_configs ?? []).map((w) => new URL(w.url)),
		);
		expect(urls.length).toBeGreaterThan(0);
		for (const url of urls) {
			const receiver = serviceTarget(url.hostname);
			expect(receiver).toMatchObject({ port: Number(url.port), deployment: "alert-receiver" });
			const args = container(object("Deployment", "alert-receiver")).command as string[];
			expect(args[args.indexOf("--port") + 1]).toBe(String(receiver.containerPort));
		}
	});
});
