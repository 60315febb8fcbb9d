/**
 * Common passwords, refused when a password is chosen (NIST SP 800-63B: a blocklist, no
 * composition rules). Two sources:
 * - the password list of @zxcvbn-ts/language-common (about 49,000 entries from public breach
 *   corpora, maintained with zxcvbn-ts; the 18,000 of 8 or more characters matter here, the
 *   others fail the length rule anyway), shipped as one string in shared/data/common-passwords.ts
 *   (`npm run common-passwords` writes it from the package) and made a Set on first use: only
 *   the functions that take a new password (verify, reset, change) contain it, and only a new
 *   password builds the Set,
 * - a short list of our own: recent seasons and years, and spellings in other languages that
 *   the English-centred corpus lacks.
 * Compared lower-cased: "Password1" is as common as "password1".
 */
const extraCommonPasswords = [
  'summer2024', 'summer2025', 'summer2026', 'winter2025', 'winter2026', 'autumn2025', 'spring2026', 'january1',
  'senha123', 'azerty123', 'azertyuiop', 'qwertzuiop', 'passwort', 'motdepasse', 'contraseña', 'password!', 'password1!',
  'p@ssw0rd1', 'p@ssw0rd!', 'welcome123', 'letmein123', 'admin1234', 'changeme1', 'qwerty!@',
];

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= import('./data/common-passwords').then(
    ({ commonPasswordList }) => new Set([...commonPasswordList.split('\n'), ...extraCommonPasswords]),
  );
  return commonPasswords;
}

export async function isCommonPassword(password: string): Promise<boolean> {
  return (await loadCommonPasswords()).has(password.toLowerCase());
}
