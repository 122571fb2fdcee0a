/**
 * Where a command will write, checked before it does any work: a folder it may create (-o), or a file whose
 * folder must exist. The nearest existing ancestor decides: a file there (`-o /etc/hostname/x`) or a folder
 * this process may not write in is bad input, said in one line, not an ENOTDIR from deep inside a run.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

function nearestExisting(p: string): string {
  let d = path.resolve(p);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A folder the command will create if need be (`flag` names the option in the message). */
export function checkOutputDir(flag: string, dir: string): void {
  const at = nearestExisting(dir);
  if (!statSync(at).isDirectory()) throw new UserError(`${flag} ${dir}: ${at === path.resolve(dir) ? 'not a directory' : `${at} is a file, not a directory`}`);
  if (!writable(at)) throw new UserError(`${flag} ${dir}: cannot write in ${at}`);
}

/** A file the command will write (its folder must exist and be writable; the file itself not a folder). */
export function checkOutputFile(flag: string, file: string): void {
  const parent = path.dirname(path.resolve(file));
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new UserError(`${flag} ${file}: no directory ${parent}`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new UserError(`${flag} ${file}: is a directory`);
  if (!writable(parent)) throw new UserError(`${flag} ${file}: cannot write in ${parent}`);
}
