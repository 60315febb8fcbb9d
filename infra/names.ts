/** "key-manager" -> "KeyManager": construct ids and alarm names from function names. */
export function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
