// Key Vault holding the app's secrets. Access is Azure RBAC only (no access policies); the app
// reads them through Key Vault references in its app settings. Only secrets given a value are
// written (and referenced): an empty one means "not used", e.g. Graph through the managed identity.
param name string
param location string
param tags object = {}

@secure()
@description('Secret name -> value; empty values are skipped.')
param secrets object

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = [for item in items(secrets): if (!empty(item.value)) {
  parent: vault
  name: item.key
  properties: {
    value: item.value
    contentType: 'text/plain'
  }
}]

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
