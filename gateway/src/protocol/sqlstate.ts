/**
 * SQLSTATE codes the gateway itself raises, named as in Postgres's errcodes.txt.
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 * @module
 */
export const SqlState = {
  SuccessfulCompletion: '00000',
  ProtocolViolation: '08P01',
  ConnectionFailure: '08006',
  SqlclientUnableToEstablishSqlconnection: '08001',
  InvalidAuthorizationSpecification: '28000',
  InvalidPassword: '28P01',
  InvalidCatalogName: '3D000',
  TooManyConnections: '53300',
  FeatureNotSupported: '0A000',
  DatatypeMismatch: '42804',
  AdminShutdown: '57P01',
  CannotConnectNow: '57P03',
  QueryCanceled: '57014',
  ProgramLimitExceeded: '54000',
  IdleInTransactionSessionTimeout: '25P03',
  TransactionTimeout: '25P04',
  ConfigFileError: 'F0000',
  InvalidParameterValue: '22023',
  SyntaxError: '42601',
  InternalError: 'XX000',
} as const
export type SqlState = (typeof SqlState)[keyof typeof SqlState]
