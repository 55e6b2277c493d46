// Prints the reference zxcvbn score (0-4) of each line of standard input, one per line.
const zxcvbn = require("zxcvbn");
const lines = require("fs").readFileSync(0, "utf8").split("\n");
if (lines.length && lines[lines.length - 1] === "") lines.pop();
process.stdout.write(lines.map((p) => zxcvbn(p).score).join("\n") + "\n");
