import fs from "node:fs";
import path from "node:path";

/*
 * The runtime stage of the Dockerfile as data: the ENV every container starts with, the CMD it
 * runs, its WORKDIR and what it copies from the build stages. Read by the deployment tests and by
 * check-deploy's replay of the image, so both hold the same image to account.
 *   node dist/scripts/dockerfile.js Dockerfile env|cmd|workdir   prints one NAME=value, argument or path per line
 */

export interface StageCopy {
	/** The stage copied from (`--from=`). */
	from: string;
	/** Paths in that stage. */
	sources: string[];
	/** Where they land in this one, resolved against WORKDIR. */
	destination: string;
}

export interface RuntimeStage {
	env: Record<string, string>;
	cmd: string[];
	/** The last WORKDIR of the stage ("/" without one). */
	workdir: string;
	/** Its `COPY --from=…` instructions, in order. */
	copies: StageCopy[];
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
	const workdir = [...stage.matchAll(/^WORKDIR (\S+)$/gm)].reduce((dir, match) => path.posix.resolve(dir, match[1]!), "/");
	const copies: StageCopy[] = [];
	for (const match of stage.matchAll(/^COPY --from=(\S+) (.+)$/gm)) {
		const paths = match[2]!.trim().split(/\s+/);
		copies.push({ from: match[1]!, sources: paths.slice(0, -1), destination: path.posix.resolve(workdir, paths.at(-1)!) });
	}
	return { env, cmd: JSON.parse(cmd[1]!) as string[], workdir, copies };
}

if (require.main === module) {
	const [file, what] = process.argv.slice(2);
	if (!file || (what !== "env" && what !== "cmd" && what !== "workdir")) {
		console.error("usage: node dockerfile.js <Dockerfile> env|cmd|workdir");
		process.exit(2);
	}
	const stage = readRuntimeStage(file);
	const lines = what === "env" ? Object.entries(stage.env).map(([name, value]) => `${name}=${value}`) : what === "cmd" ? stage.cmd : [stage.workdir];
	console.log(lines.join("\n"));
}
