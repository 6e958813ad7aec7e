// The storage account behind the app: host state and the deployment package (blob), work queues
// and state tables. Reached with Entra ID only: shared keys and public blob access are off.
param name string
param location string
param tags object = {}
@description('Blob container Flex Consumption deploys the package from.')
param deploymentContainerName string
@description('Work queues (SPEC §2); each gets its -poison twin so operators see it before the first failure.')
param queueNames array
@description('State tables; the app also creates them on start-up, this just makes them visible at once.')
param tableNames array

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'
    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'
    resource queues 'queues' = [for queue in concat(queueNames, map(queueNames, q => '${q}-poison')): {
      name: queue
    }]
  }

  resource tableService 'tableServices' = {
    name: 'default'
    resource tables 'tables' = [for table in tableNames: {
      name: table
    }]
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
