/**
 * Prints what a test measured, indented under its title. On stderr: stdout belongs to mocha's
 * reporter, and a line there breaks machine-readable output such as `--reporter json`.
 */
export function printSummary(line: string): void {
  process.stderr.write(`      ${line}\n`);
}
