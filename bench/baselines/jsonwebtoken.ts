import jwt from 'jsonwebtoken';

// Baseline: only jsonwebtoken. Exported so esbuild keeps it.
export const decode = jwt.decode;
