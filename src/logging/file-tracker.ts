import fs from 'node:fs';

interface FileState {
  closed: boolean;
  promise: Promise<void>;
  resolve: () => void;
}

type OpenCallback = (error: NodeJS.ErrnoException | null, fd: number) => void;
type CloseCallback = (error: NodeJS.ErrnoException | null) => void;

/**
 * Tells when each file written through it is complete on disk. file-stream-rotator ends the old
 * stream on rotation but gives no handle to it, and its 'finish'/'close' events reach us without
 * saying which file they belong to. An fs.WriteStream closes its descriptor only after its last
 * buffered write has landed, so we hand the streams this object as their `fs` option (a documented
 * fs.createWriteStream option) and watch open → close per path.
 */
export class FileTracker {
  private readonly files = new Map<string, FileState>();
  private readonly paths = new Map<number, string>();

  /** The `fs` option for fs.createWriteStream. */
  readonly fs = {
    open: (file: string, flags: fs.OpenMode, mode: fs.Mode, callback: OpenCallback): void => {
      const known = this.files.get(file);
      if (!known || known.closed) this.files.set(file, pendingState());
      fs.open(file, flags, mode, (error, fd) => {
        if (error) this.markClosed(file);
        else this.paths.set(fd, file);
        callback(error, fd);
      });
    },
    write: fs.write,
    writev: fs.writev,
    close: (fd: number, callback: CloseCallback): void => {
      fs.close(fd, (error) => {
        const file = this.paths.get(fd);
        this.paths.delete(fd);
        if (file !== undefined) this.markClosed(file);
        callback(error);
      });
    },
  };

  /** Notes a file a stream was just created for (its open may come a tick later). */
  watch(file: string): void {
    if (!this.files.has(file)) this.files.set(file, pendingState());
  }

  /** Resolves once this process's stream of `file` has closed; at once if it has none. */
  settled(file: string): Promise<void> {
    return this.files.get(file)?.promise ?? Promise.resolve();
  }

  /** Resolves once the stream of `file` has closed (at once if it already has). */
  closed(file: string): Promise<void> {
    this.watch(file);
    return (this.files.get(file) as FileState).promise;
  }

  /** Resolves once every file seen so far is closed. */
  async allClosed(): Promise<void> {
    await Promise.all([...this.files.values()].map((state) => state.promise));
  }

  private markClosed(file: string): void {
    const state = this.files.get(file);
    if (state && !state.closed) {
      state.closed = true;
      state.resolve();
    }
  }
}

function pendingState(): FileState {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { closed: false, promise, resolve };
}
