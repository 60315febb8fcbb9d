/**
 * The most common passwords that meet the length rule (from public breach top lists). A short
 * list on purpose: it stops the passwords every credential-stuffing list starts with, without
 * adding composition rules (NIST SP 800-63B).
 */
const commonPasswords = new Set([
  '12345678', '123456789', '1234567890', '12345678910', '123123123', '1234512345', '11111111', '00000000',
  '88888888', '87654321', '987654321', '0987654321', '11223344', '12121212', '123321123', '147258369',
  '159753456', '741852963', '963852741', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', '1qazxsw2', 'zaq12wsx',
  'qwertyui', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm1', 'qwerty123', 'qwerty12', 'qwerty1234', 'q1w2e3r4',
  'q1w2e3r4t5', 'a1b2c3d4', 'abcd1234', 'abc12345', 'abcdefgh', 'password', 'password1', 'password12',
  'password123', 'password1234', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'pa$$word', 'iloveyou', 'iloveyou1',
  'sunshine', 'princess', 'football', 'baseball', 'welcome1', 'welcome123', 'superman', 'batman123',
  'starwars', 'trustno1', 'whatever', 'letmein1', 'letmein123', 'monkey123', 'dragon123', 'master123',
  'michael1', 'jennifer', 'jordan23', 'computer', 'internet', 'corvette', 'mercedes', 'mustang1',
  'liverpool', 'chelsea1', 'arsenal1', 'football1', 'baseball1', 'basketball', 'sunshine1', 'princess1',
  'charlie1', 'shadow12', 'michelle', 'jessica1', 'babygirl', 'babygirl1', 'lovely123', 'iloveu123',
  'changeme', 'changeme1', 'admin123', 'admin1234', 'administrator', 'root1234', 'test1234', 'testtest',
  'default1', 'secret123', 'letmein!', 'welcome!', 'qwerty!@', 'aa123456', 'a12345678', 'abc123456',
  'zxcvbnm123', 'asdf1234', 'asdfasdf', 'qazwsxedc', '1qaz2wsx3edc', 'passpass', 'freedom1', 'whatever1',
  'hello123', 'hellohello', 'loveyou1', 'summer2024', 'summer2025', 'summer2026', 'winter2025', 'autumn2025',
  'spring2026', 'january1', 'football12', 'pokemon1', 'minecraft', 'minecraft1', 'fortnite', 'samsung1',
  'google123', 'facebook', 'linkedin', 'myspace1', 'picture1', 'senha123', 'azerty123', 'azertyuiop',
  'qwertzuiop', 'passwort', 'motdepasse', 'contraseña', 'password!', 'password1!', 'p@ssw0rd1', 'p@ssw0rd!',
]);

export function isCommonPassword(password: string): boolean {
  return commonPasswords.has(password.toLowerCase());
}
