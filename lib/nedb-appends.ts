import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";

/*
 * NeDB (the embedded store) appends every write to its data file with fs.promises.appendFile,
 * which opens and closes the file each time: measured in the embedded checkout, opening and
 * closing alone were a sixth of the shop's CPU. This keeps one handle per data file open in
 * append mode instead. NeDB replaces the file when it compacts it (a new file renamed over the
 * old) and may remove it; the handle is closed first both times, so no write goes to a file
 * that is no longer there. NeDB runs one operation at a time per data store, so one file's
 * appends and compactions never overlap. Durability is unchanged: NeDB never synced appends.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const storage = require("@seald-io/nedb/lib/storage.js") as {
	appendFileAsync(file: string, data: string, options: { encoding: BufferEncoding; mode?: number }): Promise<void>;
	crashSafeWriteFileLinesAsync(file: string, lines: string[], modes?: unknown): Promise<void>;
	unlinkAsync(file: string): Promise<void>;
};

const handles = new Map<string, Promise<FileHandle>>();

async function closeHandle(file: string): Promise<void> {
	const handle = handles.get(file);
	if (!handle) return;
	handles.delete(file);
	await (await handle.catch(() => undefined))?.close();
}

const replaceFile = storage.crashSafeWriteFileLinesAsync;
const removeFile = storage.unlinkAsync;

storage.appendFileAsync = async (file, data, options) => {
	let handle = handles.get(file);
	if (!handle) {
		handle = fs.promises.open(file, "a", options.mode);
		handles.set(file, handle);
		// A failed open is not kept: the next write tries again.
		handle.catch(() => handles.get(file) === handle && handles.delete(file));
	}
	await (await handle).appendFile(data, { encoding: options.encoding });
};

storage.crashSafeWriteFileLinesAsync = async (file, lines, modes) => {
	await closeHandle(file);
	return replaceFile(file, lines, modes);
};

storage.unlinkAsync = async (file) => {
	await closeHandle(file);
	return removeFile(file);
};
