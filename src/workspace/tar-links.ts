/**
 * A link cache for tar's packer that never remembers, so every hard-linked file goes into an
 * archive as a regular file with its own content. An importer or a restore may refuse link
 * entries, and a link breaks when its target was left out. It also keeps tar (7.5.14 and later)
 * off the path where it defers a hard link it has not met yet: there it ends its gzip stream
 * twice, an 'error' nobody can listen for that takes the whole process down.
 */
export class NoHardLinks extends Map<`${number}:${number}`, string> {
  override set(): this {
    return this;
  }
}
