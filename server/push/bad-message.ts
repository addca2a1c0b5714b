/** Why a frame was refused; the connection is closed with 4400 and this text. */
export class BadMessage extends Error {
  constructor(
    message: string,
    readonly code = 'malformed_message',
  ) {
    super(message);
  }
}
