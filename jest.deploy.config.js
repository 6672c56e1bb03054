/** The deployment files as their tools render them: run by `npm run check:deploy`, which renders first. */
module.exports = require("./jest.suite")("deploy");
