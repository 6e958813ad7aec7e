// @ewsjs/ntlm-client ships no types; the part the cross-check uses.
declare module '@ewsjs/ntlm-client' {
  interface Type2Message {
    readonly challenge: Buffer;
  }
  const client: {
    decodeType2Message(header: string): Type2Message;
    createType3Message(
      type2: Type2Message,
      user: string,
      password: string,
      workstation?: string,
      target?: string,
    ): string;
  };
  export default client;
}
