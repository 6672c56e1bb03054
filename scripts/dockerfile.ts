import fs from "node:fs";

/*
 * The runtime stage of the Dockerfile as data: the ENV every container starts with and the CMD it
 * runs. Read by the deployment tests and by check-deploy's replay of the image, so both hold
 * the same image to account.
 *   node dist/scripts/dockerfile.js Dockerfile env|cmd   prints one NAME=value or argument per line
 */

export interface RuntimeStage {
	env: Record<string, string>;
	cmd: string[];
}

export function readRuntimeStage(dockerfile: string): RuntimeStage {
	const text = fs.readFileSync(dockerfile, "utf8");
	const stage = text.slice(text.lastIndexOf("\nFROM "));
	const env: Record<string, string> = {};
	for (const block of stage.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)) {
		for (const pair of block[1]!.replace(/\\\n/g, " ").trim().split(/\s+/)) {
			const [name, ...value] = pair.split("=");
			env[name!] = value.join("=");
		}
	}
	const cmd = /^CMD (\[.*\])$/m.exec(stage);
	if (!cmd) throw new Error(`${dockerfile}: the last stage has no CMD in JSON form`);
	return { env, cmd: JSON.parse(cmd[1]!) as string[] };
}

if (require.main === module) {
	const [file, what] = process.argv.slice(2);
	if (!file || (what !== "env" && what !== "cmd")) {
		console.error("usage: node dockerfile.js <Dockerfile> env|cmd");
		process.exit(2);
	}
	const stage = readRuntimeStage(file);
	const lines = what === "env" ? Object.entries(stage.env).map(([name, value]) => `${name}=${value}`) : stage.cmd;
	console.log(lines.join("\n"));
}
