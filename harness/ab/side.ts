/**
 * A side of an A/B job: an executable that behaves like gatherbench (a bundle's `gatherbench`, a checkout's
 * bin/gatherbench.js, a wrapper script that sets an environment first), or this gatherbench itself.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { version } from '../version.js';

export interface Side {
  /** how outputs name it */
  label: string;
  /** the command line that starts it; `run ...` follows */
  argv: string[];
}

/** This gatherbench, as a child process: the same Node, the same launcher. */
export function thisGatherbench(): Side {
  return { label: `this gatherbench ${version} (${packageRoot})`, argv: [process.execPath, path.join(packageRoot, 'bin', 'gatherbench.js')] };
}

/** Whether `ref` names a file (and so is meant as a side, not a scenario name). */
export const looksLikeSide = (ref: string) => ref.includes('/') || ref.includes(path.sep);

/** A side given on the command line: an executable file, checked before any round runs. */
export function sideAt(ref: string, role: 'baseline' | 'candidate'): Side {
  const file = path.resolve(ref);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new UserError(`ab: the ${role} '${ref}' does not exist (give a gatherbench executable: a bundle's gatherbench, bin/gatherbench.js of a checkout, or a wrapper script)`);
  }
  if (!isFile) throw new UserError(`ab: the ${role} '${ref}' is not a file (give the gatherbench executable inside it, e.g. ${path.join(ref, 'gatherbench')})`);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new UserError(`ab: the ${role} '${ref}' is not executable (chmod +x it, or give its launcher)`);
  }
  return { label: file, argv: [file] };
}
