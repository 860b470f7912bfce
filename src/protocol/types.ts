/** Which end of the connection this core plays; it decides the masking rules of RFC 6455 section 5.3. */
export type Role = 'client' | 'server';

/** The two data message kinds of RFC 6455 section 5.6. */
export type MessageType = 'text' | 'binary';

/** Open until a Close went either way, closing while one direction is done, closed after both (or a fault). */
export type ProtocolState = 'open' | 'closing' | 'closed';
