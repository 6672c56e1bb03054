import { firstPageScripts } from "./bundle-size";

describe("the first page's scripts", () => {
	it("are the entry and what it imports statically, each once, and never what it imports lazily", () => {
		const manifest = {
			"index.html": { file: "assets/index-a1.js", isEntry: true, imports: ["_vendor.js", "_shared.js"], dynamicImports: ["src/admin.tsx"] },
			"_vendor.js": { file: "assets/vendor-b2.js", imports: ["_shared.js"] },
			"_shared.js": { file: "assets/shared-c3.js" },
			"src/admin.tsx": { file: "assets/admin-d4.js", imports: ["_vendor.js"] },
			"style.css": { file: "assets/index-e5.css" },
		};
		expect(firstPageScripts(manifest)).toEqual(["assets/index-a1.js", "assets/vendor-b2.js", "assets/shared-c3.js"]);
	});

	it("fails when the manifest names a chunk it does not have", () => {
		expect(() => firstPageScripts({ "index.html": { file: "assets/index.js", imports: ["_gone.js"] } })).toThrow("_gone.js");
	});
});
