// The user-assigned identity the function app runs as: storage, Key Vault references,
// Application Insights ingestion and (optionally) Microsoft Graph all use it, so no key is needed.
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
